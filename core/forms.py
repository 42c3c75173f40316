from core.exceptions import DomainError


def add_domain_error(form, error: DomainError) -> None:
    """Show a service's DomainError on a form: per field where it names fields, else on top."""
    placed = False
    for field, messages in (error.fields or {}).items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
