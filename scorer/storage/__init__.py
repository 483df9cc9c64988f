"""How a partition's state is kept in Valkey: the key layout, the write set one Lua call
applies, the partition view a batch builds it from, the one function that writes a
handler's effects (`effects.apply_effects`), funnel and list-index writes, the Lua scripts
themselves.

A change to *where* or *how* something is stored goes here. May import `scorer.core` only.
"""
