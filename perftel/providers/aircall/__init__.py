"""Aircall: ``driver`` (the provider), ``connection`` (auth, clients, errors, pacing), ``mapping`` (calls)."""
