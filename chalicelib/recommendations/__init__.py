"""Product recommendations: the pure models and their filters. No AWS, no Chalice.

``interactions`` turns shop events into product interactions, ``counts`` keeps the mergeable, time-decayed
counts the models are made of, ``similarity`` compares products by their catalog fields, ``models`` builds the
precomputed lists and answers the per-contact models, and ``filters`` narrows a list for one request.
"""
