"""One module per onboarding step, named as its StepKey (onboarding/pipeline.py); no step imports
another. base.py is the contract with the engine; consent_wait.py is shared by the two consent
steps."""
