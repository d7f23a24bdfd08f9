"""The Pulumi program: the :class:`~.component.OwnScimProvisioning` component and the stack
program (:func:`~.stack.declare_stack`, what ``__main__.py`` runs).

The only layer that imports ``pulumi_okta``; it never imports the offline tools, the live
checks, the receiver or the command line (docs/architecture.md).
"""
