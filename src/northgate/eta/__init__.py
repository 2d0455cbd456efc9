"""The eTA domain: who needs one, the questions, their validation, the decision, references.

Pure code: nothing here touches the network, the database or the clock. ``today`` and
randomness are passed in, so every rule can be tested at any date. The only reads are of
this package's own data files (rules, questions, messages), once, at import.
"""
