"""The whole-pipeline chaos soak: real processes, a seeded fault schedule, four oracles.

`python -m tests.soak --minutes M --rate R --seed S` is the long form (`make soak`);
`test_soak.py` is the short form that `make test` runs.
"""
