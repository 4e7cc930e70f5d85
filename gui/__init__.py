"""Every widget of the wizard. Logic lives in :mod:`core`; pages only call it through workers."""
