#include "core/lifecycle.h"

enum lifecycle_verdict lifecycle_begin_stop(enum partition_state *s)
{
	if (*s == PART_STOPPED || *s == PART_EMPTY)
		return LC_ALREADY;
	*s = PART_STOPPED;
	return LC_GO;
}

enum lifecycle_verdict lifecycle_begin_restart(enum partition_state *s)
{
	switch (*s) {
	case PART_READY:
	case PART_RUNNING:
		*s = PART_RESTARTING;
		return LC_GO;
	case PART_RESTARTING:
		return LC_ALREADY;
	case PART_EMPTY:
	case PART_STOPPED:
		break;
	}
	return LC_REFUSED;
}

enum lifecycle_verdict lifecycle_end_restart(enum partition_state *s, bool loaded)
{
	if (*s != PART_RESTARTING)
		return LC_REFUSED; /* stopped while restarting */
	if (!loaded) {
		*s = PART_RUNNING; /* so that the caller's begin_stop goes ahead */
		return LC_REFUSED;
	}
	*s = PART_RUNNING;
	return LC_GO;
}
