from genfans.core.errors import (
    Conflict,
    DomainError,
    PermissionDenied,
    RateLimited,
    ValidationError,
)


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this email already exists."


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    default_message = "Invalid email or password."


class TooManySignInAttempts(RateLimited):
    code = "too_many_sign_in_attempts"
    default_message = "Too many failed sign-in attempts. Try again in a few minutes."


class WeakPassword(ValidationError):
    code = "weak_password"
    default_message = "Choose a stronger password."


class WrongPassword(ValidationError):
    code = "wrong_password"
    default_message = "That password is not correct."


class InvalidResetLink(ValidationError):
    code = "invalid_reset_link"
    default_message = "This password reset link is invalid or has expired. Ask for a new one."


class InvalidName(ValidationError):
    code = "invalid_name"
    default_message = "Enter a name of at most 150 characters."


class InvalidVerificationLink(ValidationError):
    code = "verification_link_invalid"
    default_message = "This verification link is not valid. Ask for a new one from your dashboard."


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    default_message = "Your email is already verified."


class VerificationEmailTooSoon(RateLimited):
    default_message = "A link was sent less than a minute ago. Check your inbox, or try again soon."


class TwoFactorRequired(DomainError):
    code = "two_factor_required"
    default_message = (
        "Your password was right; now send a code from your authenticator app "
        "(or a recovery code) to POST /api/auth/sign-in/verify."
    )


class InvalidTwoFactorCode(ValidationError):
    code = "invalid_two_factor_code"
    default_message = "That code is not valid. Enter the current code from your app."


class TooManyTwoFactorAttempts(RateLimited):
    code = "too_many_two_factor_attempts"
    default_message = "Too many wrong codes. Wait a little, then try again."


class TwoFactorPendingExpired(ValidationError):
    code = "two_factor_sign_in_expired"
    default_message = "Sign in again with your email and password, then enter your code."


class TwoFactorAlreadyEnabled(Conflict):
    code = "two_factor_already_enabled"
    default_message = "Two-factor sign-in is already on."


class TwoFactorNotEnabled(Conflict):
    code = "two_factor_not_enabled"
    default_message = "Turn on two-factor sign-in first."


class TwoFactorSetupNotStarted(Conflict):
    code = "two_factor_setup_not_started"
    default_message = "Start the two-factor setup again: scan the new QR code, then enter a code."


class TwoFactorRequiredByTeam(Conflict):
    code = "two_factor_required_by_team"
    default_message = (
        "A team you belong to requires two-factor sign-in, so it cannot be turned off."
    )


class TwoFactorSetupRequired(PermissionDenied):
    code = "two_factor_setup_required"
    default_message = (
        "This team requires two-factor sign-in: turn it on from the Security page first."
    )
