"""The ordered onboarding steps (architecture.md, "The onboarding job")."""

from onboarding.steps.placeholders import not_implemented
from onboarding.workflow import StepSpec

STEPS = [
    StepSpec("resolve_tenant", "Find the customer's Microsoft Entra tenant", not_implemented),
    StepSpec("customer_consent", "Customer approves the onboarding app", not_implemented,
             timeout_message="The customer did not answer the consent email in time. Resend the link."),
    StepSpec("create_app", "Create the Proofpoint sync app registration", not_implemented),
    StepSpec("grant_consent", "Grant admin consent for its permissions", not_implemented),
    StepSpec("create_secret", "Create the client secret", not_implemented),
    StepSpec("verify_credentials", "Check the new app can sign in", not_implemented),
    StepSpec("prepare_org", "Prepare the Proofpoint organisation and domains", not_implemented),
    StepSpec("configure_sync", "Configure Azure sync in Proofpoint (paused)", not_implemented),
    StepSpec("build_report", "Build the sync report", not_implemented),
    StepSpec("review", "Review and exclude accounts", not_implemented,
             timeout_message="Nobody approved the sync report in time. Rebuild it and review again."),
    StepSpec("import_accounts", "Import accounts into Proofpoint", not_implemented),
    StepSpec("routing_countdown", "Wait before mail routing", not_implemented),
]
