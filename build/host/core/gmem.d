build/host/core/gmem.o: core/gmem.c core/gmem.h core/types.h \
 core/lib/string.h
core/gmem.h:
core/types.h:
core/lib/string.h:
