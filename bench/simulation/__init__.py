"""Election night at full scale: a SimPy model of 2016's servers and of Northgate.

It lives with the benchmarks, not in ``src/``: it reads their results (``bench/results/``)
for its parameters, writes its own there with charts, and needs SimPy, a tool of the
``dev`` extra that the product never imports. What it shares with the replay, the 2016
curve and its arrivals, is product code in ``northgate.replay``.
"""
