// mutants: BUG_SERVICE_LOOKS_FIRST BUG_NO_SERVICE_WAIT BUG_RESTART_UNDOES_STOP BUG_ONLY_SELF_RUNS_AGAIN
/* A model of a partition's lifecycle protocol (core/lifecycle.c,
 * partition_stop / partition_restart in core/partition.c, the scheduler's
 * checks in core/sched.c), checked with Spin by scripts/check-model.sh
 * (make model; part of make test).
 *
 * Two vCPUs, each on its own host CPU, and one device service task, any of
 * which may act at any moment. A running vCPU may ask for a stop or a
 * restart (a hypercall, a reset, a triple fault: to the lifecycle they are
 * the same requests); vCPU 0 starts the other with a start-up IPI, as a
 * guest's boot does. Decisions taken under the lifecycle lock are atomic
 * steps here; everything else (quiescing, waiting, zeroing RAM, setting
 * vCPU states, the scheduler's look at the state) is one step per memory
 * access, as on the real CPUs.
 *
 * Checked (each with the assertions):
 *   stop_final       once STOPPED, the partition stays STOPPED;
 *   all_run_again    after a restart, every vCPU runs guest code again,
 *                    vCPU 0 included when the other one ran the restart
 *                    (unless a stop comes first);
 *   the assertions:  no service task touches guest RAM while a restart
 *                    zeroes it, and no vCPU runs guest code meanwhile.
 * Requests are bounded (MAX_REQ) so the state space is finite; liveness
 * is checked under weak fairness (pan -f). */

#define NV 2       /* vCPUs */
#define MAX_REQ 3  /* stop/restart requests in one execution */

mtype = { READY, RUNNING, RESTARTING, STOPPED };  /* partition (enum partition_state) */
mtype = { RUNNABLE, WAIT_SIPI, V_STOPPED };       /* vCPU (enum vcpu_state) */

mtype pstate = READY;
mtype vs[NV];
bit on_cpu[NV];        /* run_slice holds the vCPU */
bit sipi[NV];          /* a start-up IPI waits for the vCPU */
bit in_guest[NV];      /* the vCPU executes guest code */
byte services_active;  /* lifecycle_service_enter/leave */
bit svc_queued;        /* the service task is queued (a vCPU notified) */
bit svc_writing;       /* the service task writes guest RAM */
bit zeroing;           /* a restart zeroes and reloads guest RAM */
bit ran[NV];           /* ran guest code since the last restart ended */
byte requests;

/* partition_stop: one atomic decision (lifecycle_begin_stop under the
 * lock), then every vCPU is marked stopped (and kicked). */
inline stop_request()
{
	atomic {
		if
		:: pstate != STOPPED -> pstate = STOPPED; go = 1
		:: else -> go = 0
		fi
	}
	if
	:: go ->
		j = 0;
		do
		:: j < NV -> vs[j] = V_STOPPED; j++
		:: j == NV -> break
		od
	:: else -> skip
	fi
}

/* partition_restart, run by vCPU self in its exit handler. */
inline restart_request(self)
{
	atomic {
		if
		:: pstate == READY || pstate == RUNNING -> pstate = RESTARTING; go = 1
		:: else -> go = 0  /* RESTARTING: absorbed; STOPPED: refused */
		fi
	}
	if
	:: go ->
		/* quiesce_other_vcpus: mark, then wait until their CPUs let go */
		j = 0;
		do
		:: j < NV -> if :: j != self -> vs[j] = V_STOPPED :: else -> skip fi; j++
		:: j == NV -> break
		od;
		j = 0;
		do
		:: j < NV -> if :: j != self -> (on_cpu[j] == 0) :: else -> skip fi; j++
		:: j == NV -> break
		od;
		/* no service task inside (lifecycle_services_idle) */
#ifndef BUG_NO_SERVICE_WAIT
		(services_active == 0);
#endif
		zeroing = 1;
		j = 0;
		do
		:: j < NV -> assert(j == self || !in_guest[j]); sipi[j] = 0; j++
		:: j == NV -> break
		od;
		assert(!svc_writing);
		zeroing = 0;
		/* lifecycle_end_restart and the vCPU states: one step under the lock */
		atomic {
			if
#ifdef BUG_RESTART_UNDOES_STOP
			:: true ->
#else
			:: pstate == RESTARTING ->
#endif
				pstate = RUNNING;
				j = 0;
				do
#ifdef BUG_ONLY_SELF_RUNS_AGAIN
				:: j < NV -> if :: j == self -> vs[j] = RUNNABLE :: else -> skip fi; ran[j] = 0; j++
#else
				:: j < NV -> vs[j] = (j == 0 -> RUNNABLE : WAIT_SIPI); ran[j] = 0; j++
#endif
				:: j == NV -> break
				od
			:: else -> skip  /* a stop came meanwhile: it stays stopped */
			fi
		}
	:: else -> skip
	fi
}

proctype vcpu(byte id)
{
	byte j;
	bit go;
end:
	do
	/* The scheduler picks it only while the partition runs; a start-up
	 * IPI is taken by the vCPU's own CPU (vcpu_handle_startup). */
	:: pstate == RUNNING && vs[id] == WAIT_SIPI && sipi[id] ->
		sipi[id] = 0;
		if
		:: vs[id] == WAIT_SIPI -> vs[id] = RUNNABLE
		:: else -> skip
		fi
	:: pstate == RUNNING && vs[id] == RUNNABLE ->
		on_cpu[id] = 1;
		/* run_slice looks again after setting on_cpu */
		if
		:: pstate == RUNNING && vs[id] == RUNNABLE ->
			in_guest[id] = 1;
			assert(!zeroing);
			ran[id] = 1;
			in_guest[id] = 0;
			/* vCPU 0's guest starts the others (INIT, start-up IPI) */
			if
			:: id == 0 ->
				j = 1;
				do
				:: j < NV -> sipi[j] = 1; j++
				:: j == NV -> break
				od
			:: else -> skip
			fi;
			/* the exit: notify a device, ask for a stop or a restart, or nothing */
			if
			:: svc_queued = 1
			:: requests < MAX_REQ -> requests++; stop_request()
			:: requests < MAX_REQ -> requests++; restart_request(id)
			:: skip
			fi
		:: else -> skip
		fi;
		on_cpu[id] = 0
	od
}

/* A virtio device's service task (run_services). */
proctype service()
{
end:
	do
	:: svc_queued ->
		svc_queued = 0;
		/* lifecycle_service_enter: count in, then look */
#ifdef BUG_SERVICE_LOOKS_FIRST
		if
		:: pstate == RUNNING -> services_active++
		:: else -> services_active++
		fi;
		if
		:: true ->
#else
		services_active++;
		if
		:: pstate == RUNNING ->
#endif
			svc_writing = 1;
			assert(!zeroing);
			svc_writing = 0;
			services_active--
		:: else -> services_active--
		fi
	od
}

init
{
	atomic {
		vs[0] = RUNNABLE;
		vs[1] = WAIT_SIPI;
		pstate = RUNNING;  /* the scheduler's first pick: READY -> RUNNING */
		run vcpu(0);
		run vcpu(1);
		run service()
	}
}

ltl stop_final { [] ((pstate == STOPPED) -> [] (pstate == STOPPED)) }
ltl all_run_again { [] ((pstate == RUNNING && !(ran[0] && ran[1])) -> <> ((ran[0] && ran[1]) || pstate == STOPPED)) }
