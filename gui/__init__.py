"""Every widget of the wizard. Logic lives in :mod:`core`: pages call its use cases, slow ones
(network, key generation, the keyring) through a worker (:mod:`gui.workers`)."""
