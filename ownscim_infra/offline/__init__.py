"""Everything that runs the program without Pulumi's engine or Okta: the mock runtime
(:mod:`.mocks`), the offline plan (:mod:`.plan`), the engine and provider emulated
(:mod:`.engine`, :mod:`.provider`) on an emulated org (:mod:`.okta_org`), Okta's provisioning
(:mod:`.okta_provisioning`, with its SCIM client :mod:`.scim_client`), and the end-to-end
simulation against a SCIM receiver (:mod:`.simulate`: what the config means in
:mod:`.expectations`, the report in :mod:`.report`, its text in :mod:`.report_text`), and the
review of a change (:mod:`.review`). It never imports the live checks or the command line
(docs/architecture.md).
"""
