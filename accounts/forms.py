from django import forms


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        required=False,
        label="Name",
        help_text="What the token is for, e.g. \u201cPSA sync script\u201d. Shown in the list.",
    )
    days = forms.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        label="Valid for (days)",
        help_text="Leave empty for the default.",
    )


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label="6-digit code",
        min_length=6,
        max_length=8,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_otp_token(self) -> str:
        code = self.cleaned_data["otp_token"].replace(" ", "")
        if not code.isdigit() or not 6 <= len(code) <= 8:
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows.")
        return code
