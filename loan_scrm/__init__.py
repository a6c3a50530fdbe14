"""The composition root: the one package that names every part (``scrm``, ``backoffice``, ``console``)
and wires them into the app, the event subscriptions, the periodic jobs, the CLI, the worker and the
scheduler."""
