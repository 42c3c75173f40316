"""What the posts area adds to the rest of the site: audit-log sentences and community-home sections."""

SENTENCES: dict = {}  # action → sentence (core.audit.register_audit_sentences)

HOME_SECTIONS: list = []  # functions membership → template context (communities.home)
