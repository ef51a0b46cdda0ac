"""RingCentral: ``driver`` (the provider), ``connection`` (OAuth, clients, errors, throttling, paging), ``mapping``."""
