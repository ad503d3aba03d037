"""The job engine (`services`: submit, dispatch, advance, finish, fail, cancel, and the tasks
that re-enter it; `sweep`: periodic repair). It owns job status and team slots; the
operations it runs are in `studio.operations`."""
