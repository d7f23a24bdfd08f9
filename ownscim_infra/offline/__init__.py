"""Everything that runs the program without Pulumi's engine or Okta: the mock runtime
(:mod:`.mocks`), the offline plan (:mod:`.plan`), Okta's side emulated from the plan
(:mod:`.okta_emulator`) and the end-to-end simulation against a SCIM receiver
(:mod:`.simulate`). It never imports the live checks or the command line
(docs/architecture.md).
"""
