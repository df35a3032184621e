"""Trust & safety operations: policy taxonomy, reports, cases, queues and claims."""
