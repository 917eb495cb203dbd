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

    def review_still_due(step, recipient_key, member_id, today):  # optional, see below
        review = Review.objects.filter(pk=int(recipient_key.split("-")[1].split(":")[0])).first()
        return "" if review and review.done_on is None else "Bilan déjà fait avant l'envoi."

    register(AudienceRule(code="volunteers.reviews_due", label="Bilans à faire", build=reviews_due,
                          recheck=review_still_due))

Le personnel (ou une migration de données, ou seed_demo) crée des étapes (`Step`) qui utilisent
une règle : datées (`send_on`, envoyées une fois, rattrapées si le planificateur était arrêté) ou
quotidiennes (`rolling=True`, réévaluées chaque jour ; la clé du destinataire dit quel jalon est
envoyé). Chaque destinataire reçoit chaque clé une seule fois (clé d'idempotence de la boîte d'envoi).
`services.step_ensure(...)` crée ou retrouve une étape par son code.

Ce que le moteur fait pour toutes les règles :
- envoi étalé au débit de la campagne, une seule fois par clé, même si un worker meurt (bail de
  l'étape renouvelé à chaque lot, repris par un nouveau passage quand il expire) ;
- pause d'une étape ou d'une campagne : ses e-mails pas encore partis sont suspendus, puis
  replanifiés et envoyés à la reprise, chacun une fois ;
- juste avant que chaque e-mail parte, le worker demande à la règle si la personne fait toujours
  partie de l'audience (`AudienceRule.recheck`, facultatif : chaîne vide = oui, sinon le motif,
  enregistré sur l'e-mail annulé) ;
- étape de relance (`Step.is_reminder`) et destinataire membre (`member_id`) : le désabonnement
  (déclaré par l'app des membres via `registry.register_opt_out`) est respecté à la planification
  et à l'envoi, et l'e-mail porte `List-Unsubscribe` en un clic (RFC 8058) et `unsubscribe_url`
  dans son contexte. La règle n'ajoute pas ces en-têtes elle-même.
"""
