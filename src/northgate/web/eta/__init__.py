"""The eTA journey on the web: triage, apply, pay, confirmation, status, save and return."""
