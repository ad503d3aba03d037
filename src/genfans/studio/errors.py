from genfans.core.errors import Conflict, RateLimited, ValidationError


class TooManyQueuedJobs(RateLimited):
    code = "too_many_queued_jobs"
    default_message = "Your plan's queue is full: wait for some jobs to finish."


class JobNotCancellable(Conflict):
    code = "job_not_cancellable"
    default_message = "The job has already ended."


class JobAlreadyRunning(Conflict):
    code = "job_already_running"
    default_message = (
        "The provider has started this job and cannot stop it: it runs to the end and is "
        "charged for what it delivers."
    )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used for a different request."


class InvalidJobParams(ValidationError):
    code = "invalid_params"
    default_message = "The job's parameters are not valid."


class ModelNotReady(Conflict):
    code = "model_not_ready"
    default_message = "This model cannot generate yet (it is training, failed or archived)."


class ModelBusy(Conflict):
    code = "model_busy"
    default_message = "This model is already training: wait for it to finish."
