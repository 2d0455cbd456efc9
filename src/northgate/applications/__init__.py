"""eTA applications: their life (status and transitions), the record handed to the web,
the API and the jobs, the repository that stores them, and the service every channel
calls.

``status`` and ``record`` are the domain: no I/O, importable from anywhere. The repository
and the service talk to the database; web, API and jobs go through them instead of writing
queries of their own.
"""
