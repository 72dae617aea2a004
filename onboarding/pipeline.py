"""The ordered onboarding steps (architecture.md, "The onboarding job")."""

from onboarding.steps import consent, entra, import_accounts, proofpoint, report_build
from onboarding.workflow import StepSpec

STEPS = [
    StepSpec("resolve_tenant", "Find the customer's Microsoft Entra tenant", entra.resolve_tenant),
    StepSpec("customer_consent", "Customer approves the onboarding app", consent.customer_consent,
             timeout_message="The customer did not answer the consent email in time. Resend the link."),
    StepSpec("create_app", "Create the Proofpoint sync app registration", entra.create_app),
    StepSpec("grant_consent", "Grant admin consent for its permissions", entra.grant_consent,
             timeout_message="The customer did not approve the sync app's permissions in time. Resend the link."),
    StepSpec("create_secret", "Create the client secret", entra.create_secret),
    StepSpec("verify_credentials", "Check the new app can sign in", entra.verify_credentials),
    StepSpec("prepare_org", "Prepare the Proofpoint organisation and domains", proofpoint.prepare_org),
    StepSpec("configure_sync", "Configure Azure sync in Proofpoint (paused)", proofpoint.configure_sync),
    StepSpec("build_report", "Build the sync report", report_build.build_report),
    StepSpec("review", "Review and exclude accounts", proofpoint.review,
             timeout_message="Nobody approved the sync report in time. Rebuild it and review again."),
    StepSpec("import_accounts", "Import accounts into Proofpoint", import_accounts.import_accounts),
    StepSpec("routing_countdown", "Wait before mail routing", proofpoint.routing_countdown),
]
