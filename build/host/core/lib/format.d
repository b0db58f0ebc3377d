build/host/core/lib/format.o: core/lib/format.c core/lib/format.h \
 core/types.h
core/lib/format.h:
core/types.h:
