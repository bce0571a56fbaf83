"""Who owns a job: jobs the server queues for its worker, and the worker that runs them."""

QUEUE_OWNER_KIND = "server-queue"  # queued by the server for its worker (a kernel's jobs are never touched)
WORKER_OWNER_KIND = "worker"
