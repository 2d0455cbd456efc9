"""Election night 2016, replayed: the traffic curve of 8-9 November 2016 and its arrivals.

Pure code: nothing here touches the network, files or the clock. The curve is the incident's
figures (``../shared/INCIDENT.md``, retold in ``docs/design.md``) as a function of time;
the arrival generator turns it into seeded visitors for the replay and the simulation.
"""
