from genfans.core.errors import Conflict, DomainError, RateLimited, ValidationError


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


class InvalidEmail(ValidationError):
    code = "invalid_email"
    default_message = "Enter a valid email address."


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
