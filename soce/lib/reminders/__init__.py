"""Moteur générique de relances : règle d'audience + gabarit + calendrier + idempotence.

Une app déclare ses règles d'audience dans son AppConfig.ready() :

    from soce.lib.reminders.registry import AudienceRule, Recipient, register

    def reviews_due(step, today):
        for review in ...:
            yield Recipient(
                key=f"review-{review.pk}:j-7",          # unique per person and milestone within the step
                to=review.volunteer.contact_email,
                context={"review": review},            # rendered into the step's template
                related=review,                        # optional: shown in the outbox
                member_id=review.volunteer_id,         # optional: for results and conversion
            )

    register(AudienceRule(code="volunteers.reviews_due", label="Bilans à faire", build=reviews_due))

Le personnel (ou une migration de données, ou seed_demo) crée des étapes (`Step`) qui utilisent
une règle : datées (`send_on`, envoyées une fois, rattrapées si le planificateur était arrêté) ou
quotidiennes (`rolling=True`, réévaluées chaque jour ; la clé du destinataire dit quel jalon est
envoyé). Chaque destinataire reçoit chaque clé une seule fois (clé d'idempotence de la boîte d'envoi).
`services.step_ensure(...)` crée ou retrouve une étape par son code.
"""
