"""Capacity: how close the service is to full, when it will be, and what to do about it.

The forecaster (``forecast``) and the calendar's advice (``calendar``, ``advice``) are pure;
``store`` keeps the event calendar and the scaling history; ``service`` reads the arrivals
the analytics store and puts it together; ``web`` and ``page`` are the operators' page."""
