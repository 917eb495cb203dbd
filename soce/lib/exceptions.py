"""Erreurs métier partagées, avec un message en français pour l'utilisateur."""


class BusinessError(Exception):
    """A rule refused the operation; `str(error)` is shown to the user."""


class InvalidTransition(BusinessError):
    def __init__(self, obj, to):
        self.obj, self.to = obj, to
        label = dict(type(obj).Status.choices).get(to, to)
        current = dict(type(obj).Status.choices).get(obj.status, obj.status)
        super().__init__(f"Passage impossible de « {current} » à « {label} ».")


class ConcurrentChange(BusinessError):
    def __init__(self, obj):
        self.obj = obj
        super().__init__("Quelqu'un a modifié cet élément en même temps que vous ; rechargez la page.")
