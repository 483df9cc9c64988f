"""The predictive conversion score's per-event half: what deciding a message needs of it.

A lead's decision and its horizon (`decisions`), who it is and what it did as features
(`profile`, `features`), its model (`segments`), its examples and keeping them equal to
its walked history (`examples`, `published`, `outcomes`), and its prediction with the live
models (`weights`, `live`, `summary`). Pure, like the rest of the core: the live models are
loaded from Valkey by `scorer.predict.refresh`, and training, the model registry and the
`leadpulse model` commands are `scorer.predict`, above.
"""
