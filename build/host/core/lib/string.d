build/host/core/lib/string.o: core/lib/string.c core/lib/string.h \
 core/types.h
core/lib/string.h:
core/types.h:
