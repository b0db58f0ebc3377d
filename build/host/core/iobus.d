build/host/core/iobus.o: core/iobus.c core/iobus.h core/types.h
core/iobus.h:
core/types.h:
