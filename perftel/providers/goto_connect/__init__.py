"""GoTo Connect: ``driver`` (the provider), ``connection`` (OAuth, clients, errors), ``mapping`` (reports → calls)."""
