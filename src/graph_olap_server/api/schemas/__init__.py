"""The control plane's wire shapes: one module per resource, the envelopes in
:mod:`.common`. Routes declare them as response models, so ``/openapi.json`` describes
every answer; the SDK's models are checked against them by
``tests/contract/test_sdk_models_match_openapi.py``."""
