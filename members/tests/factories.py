import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.django import DjangoModelFactory

from members.models import Campus, Category, Group, GroupMembership, Member, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password("mot-de-passe-solide")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class CampusFactory(DjangoModelFactory):
    class Meta:
        model = Campus
        django_get_or_create = ("code",)

    code = "Bo"
    name = "Bordeaux-Talence"


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "gadzarts"
    label = "Gadzarts"
    is_alumni = True


class GroupFactory(DjangoModelFactory):
    class Meta:
        model = Group

    kind = Group.Kind.TERRITORIAL
    name = factory.Sequence(lambda n: f"GT Région {n}")
    slug = factory.Sequence(lambda n: f"gt-region-{n}")


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"membre{n}@exemple.fr")
    campus = factory.SubFactory(CampusFactory)
    entry_year = 2015
    graduation_year = 2018
    category = factory.SubFactory(CategoryFactory)
    city = "Bordeaux"
    country = "FR"
    directory_consent_at = factory.LazyFunction(timezone.now)


class GroupMembershipFactory(DjangoModelFactory):
    class Meta:
        model = GroupMembership

    member = factory.SubFactory(MemberFactory)
    group = factory.SubFactory(GroupFactory)
