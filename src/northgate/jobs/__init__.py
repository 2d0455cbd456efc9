"""Background work: the transactional outbox, the worker that drains it, and its handlers.

A state change and the job it needs are committed together (``outbox.enqueue`` runs in the
caller's transaction), so a crash can delay a decision or an e-mail but never lose one.
"""
