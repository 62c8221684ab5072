"""The demonstration catalogue, declared as plain data.

Course families, sites and partners are real (see the domain notes); dates, numbers,
names and e-mail addresses are illustrative and made up. Offering dates are given in
days from the day the demo is loaded, so the catalogue always looks current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from catalog.models import (
    Discipline,
    Gender,
    Level,
    OfferingStatus,
    OrganisationKind,
    Role,
    SeatAllocation,
)
from catalog.models import PartnerRole as P

# One shared password, shown by `flask demo load` and in the README.
DEMO_PASSWORD = "pk-demo-2026!"
DEMO_NOTICE = (
    "Illustrative demo data: dates, names and numbers are made up and are not an "
    "official United Nations announcement."
)
DEMO_NOTICE_FR = (
    "Données de démonstration : les dates, les noms et les chiffres sont fictifs et ne "
    "constituent pas une annonce officielle de l'Organisation des Nations Unies."
)

# Enrolment windows: announced about two months ahead, nominations close two weeks
# before the start so seats can be confirmed and travel arranged.
ENROLMENT_OPENS_BEFORE_DAYS = 60
ENROLMENT_CLOSES_BEFORE_DAYS = 14

COUNTRY_ZONES = {
    "BR": "America/Sao_Paulo",
    "GH": "Africa/Accra",
    "ID": "Asia/Jakarta",
    "JP": "Asia/Tokyo",
    "KE": "Africa/Nairobi",
    "KH": "Asia/Phnom_Penh",
    "MA": "Africa/Casablanca",
    "RW": "Africa/Kigali",
    "TH": "Asia/Bangkok",
    "UG": "Africa/Kampala",
    "US": "America/New_York",
    "VN": "Asia/Ho_Chi_Minh",
}

HEALTH_REQUIREMENTS = (
    "A medical fitness certificate issued by the nominating country within three "
    "months of the start date, and the vaccinations the host country requires on "
    "entry. Bring enough of any regular medication for the whole course."
)


@dataclass(frozen=True)
class OrganisationSpec:
    short_name: str
    name: str
    kind: OrganisationKind
    country: str | None


_K = OrganisationKind

ORGANISATIONS = (
    OrganisationSpec(
        "UN DOS", "United Nations Department of Operational Support", _K.UN_OFFICE, "US"
    ),
    OrganisationSpec("GoJ", "Government of Japan", _K.GOVERNMENT_AGENCY, "JP"),
    OrganisationSpec("MOD Japan", "Ministry of Defense of Japan", _K.MINISTRY, "JP"),
    OrganisationSpec("JGSDF", "Japan Ground Self-Defense Force", _K.GOVERNMENT_AGENCY, "JP"),
    OrganisationSpec(
        "IPSTC", "International Peace Support Training Centre", _K.TRAINING_CENTRE, "KE"
    ),
    OrganisationSpec("KDF", "Kenya Defence Forces", _K.GOVERNMENT_AGENCY, "KE"),
    OrganisationSpec("RSCE", "Regional Service Centre Entebbe", _K.UN_OFFICE, "UG"),
    OrganisationSpec("UNCAP", "UN C4ISR Academy for Peace Operations", _K.TRAINING_CENTRE, "UG"),
    OrganisationSpec("VNDPKO", "Viet Nam Department of Peacekeeping Operations", _K.MINISTRY, "VN"),
    OrganisationSpec(
        "PMPP TNI",
        "Indonesian National Armed Forces Peacekeeping Mission Centre",
        _K.TRAINING_CENTRE,
        "ID",
    ),
    OrganisationSpec("FAR", "Royal Armed Forces of Morocco", _K.GOVERNMENT_AGENCY, "MA"),
    OrganisationSpec(
        "CCOPAB", "Brazilian Peace Operations Joint Training Centre", _K.TRAINING_CENTRE, "BR"
    ),
    OrganisationSpec("AU", "African Union Commission", _K.REGIONAL_ORGANISATION, None),
)


@dataclass(frozen=True)
class Site:
    """Where in-person runs take place."""

    venue: str
    country: str
    timezone: str
    travel: str


_TRAVEL = (
    "Travel on official orders from the nominating country; the host arranges "
    "accommodation and local transport. Arrive the day before the start with a "
    "passport valid for six months{visa}."
)

SITES = {
    "nairobi": Site(
        "Humanitarian Peace Support School (IPSTC), Embakasi, Nairobi",
        "KE",
        "Africa/Nairobi",
        _TRAVEL.format(visa=" and an approved Kenyan electronic travel authorisation"),
    ),
    "entebbe": Site(
        "UN C4ISR Academy for Peace Operations, Regional Service Centre Entebbe",
        "UG",
        "Africa/Kampala",
        _TRAVEL.format(visa=" and a Ugandan visa where required"),
    ),
    "hanoi": Site(
        "Viet Nam Department of Peacekeeping Operations training centre, Hanoi",
        "VN",
        "Asia/Ho_Chi_Minh",
        _TRAVEL.format(visa=" and a Vietnamese visa or e-visa where required"),
    ),
    "jakarta": Site(
        "Indonesia Peace and Security Center, Sentul, Greater Jakarta",
        "ID",
        "Asia/Jakarta",
        _TRAVEL.format(visa=" and an Indonesian visa where required"),
    ),
    "rabat": Site(
        "Royal Armed Forces training centre, Rabat",
        "MA",
        "Africa/Casablanca",
        _TRAVEL.format(visa=" and a Moroccan visa where required"),
    ),
}


@dataclass(frozen=True)
class CourseSpec:
    """A course; its Markdown description is built from overview, topics and audience."""

    code: str
    title: str
    discipline: Discipline
    level: Level
    days: int
    summary: str
    overview: str
    topics: tuple[str, ...]
    audience: str
    prerequisites: tuple[str, ...] = ()


_ENG, _MED, _C4 = Discipline.ENGINEERING, Discipline.MEDICAL, Discipline.C4ISR

COURSES = (
    CourseSpec(
        "TPP-ENG-HEE-B",
        "Heavy Engineering Equipment: Basic",
        _ENG,
        Level.BASIC,
        42,
        "Six weeks operating excavators, graders, wheel loaders and dozers to UN standards.",
        "Engineering units build and keep up the roads, camps and airstrips a mission "
        "depends on. This course trains operators on the heavy equipment that work needs, "
        "with most of the time spent on the machines.",
        (
            "Safe operation and daily checks of hydraulic excavators, graders, wheel "
            "loaders and bulldozers",
            "Earthworks: cutting, filling, levelling and compaction",
            "Building and repairing unpaved roads and drainage",
            "Working safely around other machines and people on a site",
        ),
        "Military engineers of troop-contributing countries expected to deploy with an "
        "engineering unit. No earlier machine experience is needed.",
    ),
    CourseSpec(
        "TPP-ENG-HEE-I",
        "Heavy Engineering Equipment: Intermediate",
        _ENG,
        Level.INTERMEDIATE,
        42,
        "Advanced machine work and site tasks for experienced heavy equipment operators.",
        "Builds on the Basic course with the tasks field missions ask of experienced "
        "operators: precise grading, work on slopes and soft ground, and leading a "
        "small team of machines.",
        (
            "Finishing to grade and surveying with simple instruments",
            "Horizontal construction for camps, helipads and airstrips",
            "Working on slopes, in rain and on soft ground",
            "Planning the work of a small machine team",
        ),
        "Operators who have completed the Basic course and use the machines regularly.",
        ("TPP-ENG-HEE-B",),
    ),
    CourseSpec(
        "TPP-ENG-HEE-T",
        "Heavy Engineering Equipment: Training of Trainers",
        _ENG,
        Level.TOT,
        90,
        "Three months preparing experienced operators to teach the Basic course at home.",
        "The programme aims at national training capacity that no longer needs outside "
        "trainers. Graduates of this course become assistant trainers, then co-trainers, "
        "on later runs of the Basic and Intermediate courses.",
        (
            "Adult learning and instruction on the machine",
            "Running a practical assessment fairly and safely",
            "Planning a six-week course and its training site",
            "Teaching alongside experienced trainers, then leading a lesson",
        ),
        "Operators who have completed the Intermediate course and are likely to train "
        "others in their national training centre.",
        ("TPP-ENG-HEE-I",),
    ),
    CourseSpec(
        "TPP-ENG-HEE-M",
        "Heavy Engineering Equipment Maintenance",
        _ENG,
        Level.BASIC,
        28,
        "Preventive maintenance and field repair that keep engineering equipment working.",
        "A machine that is broken down in a remote camp builds nothing. Mechanics learn "
        "the servicing and repairs that can be done in the field, and how to plan them.",
        (
            "Preventive maintenance schedules and records",
            "Engines, hydraulics and undercarriage: faults and field repairs",
            "Spare parts planning for a deployed unit",
        ),
        "Mechanics and technicians of engineering units.",
    ),
    CourseSpec(
        "TPP-ENG-EPM",
        "Engineering Project Management",
        _ENG,
        Level.ADVANCED,
        28,
        "Planning, estimating and supervising engineering projects in a field mission.",
        "For the officers who turn a mission's needs into engineering work: scope, "
        "estimates, schedules and supervision, with the reporting a mission expects.",
        (
            "Scoping and estimating field engineering projects",
            "Scheduling people, machines and materials",
            "Quality, safety and environmental supervision on site",
            "Reporting progress to the mission",
        ),
        "Engineer officers and senior non-commissioned officers who plan or lead "
        "engineering projects.",
        ("TPP-ENG-HEE-B",),
    ),
    CourseSpec(
        "TPP-ENG-CPM-R",
        "Construction Process Management (remote)",
        _ENG,
        Level.INTERMEDIATE,
        36,
        "Six weekly online classes on managing construction from design to hand-over.",
        "Taught online in short weekly classes, so staff can follow it from their unit "
        "or their mission. Trainees join from Africa, Asia and the Americas.",
        (
            "The construction process: design, tender, build, hand-over",
            "Reading drawings and bills of quantities",
            "Quality control and inspection",
        ),
        "Engineer officers and site supervisors with some construction experience.",
    ),
    CourseSpec(
        "TPP-ENG-ENV-R",
        "Environmental Management in Field Missions (remote)",
        _ENG,
        Level.BASIC,
        14,
        "Online course on waste, water and energy in peacekeeping camps.",
        "Missions aim to leave a lighter footprint. This online course covers the "
        "environmental work an engineering unit does every day in a camp.",
        (
            "Waste management and wastewater treatment",
            "Water supply and saving",
            "Energy use and renewable sources in camps",
        ),
        "Engineers and camp managers of contingents about to deploy.",
    ),
    CourseSpec(
        "TPP-ENG-PSI-R",
        "Physical Security Infrastructure (remote)",
        _ENG,
        Level.INTERMEDIATE,
        14,
        "Online course on perimeters, shelters and protective works for camps.",
        "How engineers protect a camp and the people in it: layouts, perimeters, "
        "observation posts and shelters, and how to maintain them.",
        (
            "Camp layout and perimeter design",
            "Protective barriers, bunkers and observation posts",
            "Inspection and maintenance of protective works",
        ),
        "Engineer officers responsible for camp construction or force protection.",
    ),
    CourseSpec(
        "TPP-MED-BFA",
        "UN Buddy First Aid Course",
        _MED,
        Level.BASIC,
        5,
        "The base standard of first aid every peacekeeper should have.",
        "The first minutes after an injury decide many outcomes. This course teaches "
        "the first aid any peacekeeper can give a colleague until medical help arrives.",
        (
            "Stopping severe bleeding and using a tourniquet",
            "Keeping the airway open and the recovery position",
            "Moving a casualty safely and asking for evacuation",
        ),
        "All uniformed personnel preparing to deploy.",
    ),
    CourseSpec(
        "TPP-MED-FMAC",
        "UN Field Medical Assistants Course",
        _MED,
        Level.INTERMEDIATE,
        7,
        "Seven days of life-saving care for non-medical personnel far from a hospital.",
        "Many units serve hours away from surgical care. Field medical assistants give "
        "the care that keeps a casualty alive within the first hour, following the UN "
        "10-1-2 casualty response guideline.",
        (
            "Casualty assessment and triage",
            "Haemorrhage control, airway and breathing",
            "Preparing casualties for evacuation and handing over",
            "Scenario training under realistic conditions",
        ),
        "Non-medical personnel designated as field medical assistants of their unit.",
        ("TPP-MED-BFA",),
    ),
    CourseSpec(
        "TPP-MED-FMAC-T",
        "UN Field Medical Assistants Course: Training of Trainers",
        _MED,
        Level.TOT,
        10,
        "Prepares experienced field medical assistants to teach the course themselves.",
        "Graduates help their national training centres run the Field Medical "
        "Assistants Course without outside trainers.",
        (
            "Teaching practical medical skills",
            "Running scenarios and assessing trainees",
            "Keeping a course to the UN standard",
        ),
        "Graduates of the Field Medical Assistants Course who will train others.",
        ("TPP-MED-FMAC",),
    ),
    CourseSpec(
        "TPP-MED-TELE-R",
        "Telemedicine for Field Missions (remote)",
        _MED,
        Level.INTERMEDIATE,
        14,
        "Online classes on remote consultation between field units and hospitals.",
        "Telemedicine links medical staff in remote locations with doctors at a "
        "hospital. These online classes show how to use it well and safely.",
        (
            "Setting up and testing a telemedicine link",
            "Presenting a patient clearly to a remote doctor",
            "Patient privacy and records",
        ),
        "Medical officers, nurses and paramedics of deploying units.",
    ),
    CourseSpec(
        "TPP-C4-SIG",
        "Field Signals Course",
        _C4,
        Level.BASIC,
        14,
        "Radio and network communications for peace operations, at UNCAP in Entebbe.",
        "Reliable communications hold a mission together. Trainees set up and operate "
        "the radio and data equipment used in UN field missions.",
        (
            "Radio procedure and equipment",
            "Field networks and satellite terminals",
            "Keeping communications running: faults and fixes",
        ),
        "Signals personnel of troop- and police-contributing countries.",
    ),
    CourseSpec(
        "TPP-C4-CST",
        "Camp Security Technology",
        _C4,
        Level.INTERMEDIATE,
        10,
        "Sensors, cameras and alarms that help protect a mission camp.",
        "Technology extends what guards can see and hear. Trainees learn to install, "
        "operate and maintain a camp's security systems.",
        (
            "Cameras, sensors and alarm systems",
            "Integrating systems in an operations room",
            "Maintenance and fault finding",
        ),
        "Personnel responsible for camp security and its technical systems.",
        ("TPP-C4-SIG",),
    ),
    CourseSpec(
        "TPP-C4-WOC",
        "Women's Outreach Course",
        _C4,
        Level.BASIC,
        14,
        "Two weeks for uniformed women: communications skills for peace operations.",
        "Open to women only, this two-week course helps uniformed women into technical "
        "and communications roles in peace operations, where they are still too few.",
        (
            "Radio and information technology basics",
            "Community engagement and outreach",
            "Careers in communications and C4ISR",
        ),
        "Uniformed women of troop- and police-contributing countries. Women only.",
    ),
    CourseSpec(
        "TPP-C4-UAS",
        "Micro-UAS Pilot Course",
        _C4,
        Level.BASIC,
        10,
        "Flying small unmanned aircraft safely for situational awareness.",
        "Small unmanned aircraft let a unit see over the next hill. Trainees learn to "
        "fly them safely, plan missions and share what they see.",
        (
            "Flight rules and safety in a mission area",
            "Mission planning, flight and recovery",
            "Handling imagery and reporting",
        ),
        "Personnel who will operate small unmanned aircraft in their unit.",
    ),
)


@dataclass(frozen=True)
class CourseTranslationSpec:
    """A course's words in another language; the description is built like the original's."""

    language: str
    title: str
    summary: str
    overview: str
    topics: tuple[str, ...]
    audience: str


# French versions of a few courses, so the catalogue shows both languages and the
# fallback to English for the rest. Illustrative wording, not official UN titles.
COURSE_TRANSLATIONS = {
    "TPP-ENG-HEE-B": CourseTranslationSpec(
        "fr",
        "Engins lourds du génie : niveau de base",
        "Six semaines de conduite de pelles hydrauliques, niveleuses, chargeuses et "
        "bouteurs selon les normes des Nations Unies.",
        "Les unités du génie construisent et entretiennent les routes, les camps et les "
        "pistes d'atterrissage dont dépend une mission. Ce cours forme les conducteurs "
        "aux engins lourds nécessaires à ces travaux ; l'essentiel du temps se passe sur "
        "les machines.",
        (
            "Conduite en sécurité et contrôles quotidiens des pelles hydrauliques, "
            "niveleuses, chargeuses sur pneus et bouteurs",
            "Terrassement : déblai, remblai, nivellement et compactage",
            "Construction et réfection de routes non revêtues et de leur drainage",
            "Travail en sécurité à proximité d'autres engins et de personnes sur un chantier",
        ),
        "Personnel du génie militaire des pays fournisseurs de contingents appelé à être "
        "déployé avec une unité du génie. Aucune expérience préalable des engins n'est "
        "requise.",
    ),
    "TPP-MED-BFA": CourseTranslationSpec(
        "fr",
        "Cours des Nations Unies de secourisme entre camarades",
        "Le niveau de base de premiers secours que tout Casque bleu devrait avoir.",
        "Les premières minutes qui suivent une blessure décident souvent de l'issue. Ce "
        "cours enseigne les premiers secours que tout membre du personnel de maintien de "
        "la paix peut donner à un camarade en attendant l'arrivée des secours médicaux.",
        (
            "Arrêter une hémorragie grave et poser un garrot",
            "Libérer les voies aériennes et mettre en position latérale de sécurité",
            "Déplacer un blessé en sécurité et demander une évacuation",
        ),
        "Tout le personnel en uniforme qui se prépare à un déploiement.",
    ),
    "TPP-MED-FMAC": CourseTranslationSpec(
        "fr",
        "Cours des Nations Unies pour assistants médicaux de terrain",
        "Sept jours de soins vitaux pour du personnel non médical loin de tout hôpital.",
        "De nombreuses unités servent à plusieurs heures de tout bloc chirurgical. Les "
        "assistants médicaux de terrain donnent les soins qui maintiennent un blessé en "
        "vie pendant la première heure, selon la directive 10-1-2 des Nations Unies sur "
        "la prise en charge des blessés.",
        (
            "Évaluation et triage des blessés",
            "Contrôle des hémorragies, voies aériennes et respiration",
            "Préparation des blessés à l'évacuation et passation",
            "Exercices sur scénarios en conditions réalistes",
        ),
        "Personnel non médical désigné comme assistant médical de terrain de son unité.",
    ),
    "TPP-MED-FMAC-T": CourseTranslationSpec(
        "fr",
        "Cours des Nations Unies pour assistants médicaux de terrain : formation des formateurs",
        "Prépare des assistants médicaux de terrain expérimentés à enseigner eux-mêmes le cours.",
        "Les diplômés aident les centres nationaux de formation à organiser le cours pour "
        "assistants médicaux de terrain sans formateurs extérieurs.",
        (
            "Enseigner des gestes médicaux pratiques",
            "Conduire des scénarios et évaluer les stagiaires",
            "Maintenir un cours au niveau de la norme des Nations Unies",
        ),
        "Diplômés du cours pour assistants médicaux de terrain qui formeront d'autres personnes.",
    ),
    "TPP-C4-SIG": CourseTranslationSpec(
        "fr",
        "Cours de transmissions de campagne",
        "Communications radio et réseaux pour les opérations de paix, à l'UNCAP d'Entebbe.",
        "Des communications fiables assurent la cohésion d'une mission. Les stagiaires "
        "installent et exploitent le matériel radio et de données utilisé dans les "
        "missions des Nations Unies.",
        (
            "Procédures et matériel radio",
            "Réseaux de campagne et terminaux satellitaires",
            "Maintenir les communications : pannes et dépannage",
        ),
        "Personnel des transmissions des pays fournisseurs de contingents ou de personnel "
        "de police.",
    ),
}


@dataclass(frozen=True)
class Account:
    """A documented demo account, listed by `flask demo load`."""

    email: str
    name: str
    role: Role
    country: str
    language: str = "en"
    gender: Gender | None = None


_F, _M = Gender.FEMALE, Gender.MALE

ACCOUNTS = (
    Account("admin@example.org", "Laura Bennett", Role.ADMIN, "US"),
    Account("coordinator@example.org", "Akosua Darko", Role.COORDINATOR, "GH"),
    Account("coordinator.entebbe@example.org", "Joseph Okello", Role.COORDINATOR, "UG"),
    Account("focal.ke@example.org", "Peter Mwangi", Role.FOCAL_POINT, "KE"),
    Account("focal.vn@example.org", "Trần Minh Đức", Role.FOCAL_POINT, "VN"),
    Account("focal.id@example.org", "Dewi Lestari", Role.FOCAL_POINT, "ID"),
    Account("focal.ma@example.org", "Youssef El Amrani", Role.FOCAL_POINT, "MA", "fr"),
    Account("focal.rw@example.org", "Claudine Uwase", Role.FOCAL_POINT, "RW", "fr"),
    Account("instructor.tanaka@example.org", "Hiroshi Tanaka", Role.INSTRUCTOR, "JP"),
    Account("instructor.suzuki@example.org", "Yuki Suzuki", Role.INSTRUCTOR, "JP"),
    Account("instructor.nakamura@example.org", "Aiko Nakamura", Role.INSTRUCTOR, "JP"),
    Account("instructor.otieno@example.org", "Grace Otieno", Role.INSTRUCTOR, "KE"),
    Account("instructor.namukasa@example.org", "Irene Namukasa", Role.INSTRUCTOR, "UG"),
    Account("instructor.benali@example.org", "Karim Benali", Role.INSTRUCTOR, "MA", "fr"),
    Account("instructor.rivera@example.org", "Michael Rivera", Role.INSTRUCTOR, "US"),
    Account("trainee.wanjiru@example.org", "Wanjiru Kamau", Role.TRAINEE, "KE", "en", _F),
    Account("trainee.lan@example.org", "Nguyễn Thị Lan", Role.TRAINEE, "VN", "en", _F),
    Account("trainee.budi@example.org", "Budi Santoso", Role.TRAINEE, "ID", "en", _M),
    Account("trainee.kwame@example.org", "Kwame Asante", Role.TRAINEE, "GH", "en", _M),
    Account("trainee.fatima@example.org", "Fatima Zahra Benjelloun", Role.TRAINEE, "MA", "fr", _F),
)

# More trainees, so cohorts can fill up: (e-mail local part after "trainee.", name,
# country, gender, language). Not listed one by one; they share the demo password.
MORE_TRAINEES = (
    ("brian", "Brian Kiprotich", "KE", _M, "en"),
    ("faith", "Faith Achieng", "KE", _F, "en"),
    ("daniel", "Daniel Mutua", "KE", _M, "en"),
    ("sarah", "Sarah Nakato", "UG", _F, "en"),
    ("moses", "Moses Ssempijja", "UG", _M, "en"),
    ("esther", "Esther Akello", "UG", _F, "en"),
    ("ivan", "Ivan Mugisha", "UG", _M, "en"),
    ("aline", "Aline Mukamana", "RW", _F, "fr"),
    ("eric", "Eric Habimana", "RW", _M, "fr"),
    ("diane", "Diane Uwimana", "RW", _F, "en"),
    ("abena", "Abena Owusu", "GH", _F, "en"),
    ("kofi", "Kofi Boateng", "GH", _M, "en"),
    ("siti", "Siti Rahmawati", "ID", _F, "en"),
    ("ayu", "Ayu Pratiwi", "ID", _F, "en"),
    ("agus", "Agus Setiawan", "ID", _M, "en"),
    ("hung", "Trần Văn Hùng", "VN", _M, "en"),
    ("trang", "Phạm Thu Trang", "VN", _F, "en"),
    ("sokha", "Chan Sokha", "KH", _F, "en"),
    ("dara", "Sok Dara", "KH", _M, "en"),
    ("sreymom", "Keo Sreymom", "KH", _F, "fr"),
    ("somchai", "Somchai Wongsawat", "TH", _M, "en"),
    ("nanthida", "Nanthida Srisuk", "TH", _F, "en"),
    ("kittipong", "Kittipong Chaiyaphum", "TH", _M, "en"),
    ("hamza", "Hamza Tazi", "MA", _M, "fr"),
    ("salma", "Salma Idrissi", "MA", _F, "fr"),
    ("ana", "Ana Carolina Souza", "BR", _F, "en"),
    ("lucas", "Lucas Pereira", "BR", _M, "en"),
    ("mariana", "Mariana Costa", "BR", _F, "en"),
)


@dataclass(frozen=True)
class SessionPlan:
    """Sessions on the given weekdays (Monday is 0) at a local wall time."""

    weekdays: tuple[int, ...]
    starts: time
    ends: time


WEEKDAY_MORNINGS = SessionPlan((0, 1, 2, 3, 4), time(8, 30), time(12, 30))


@dataclass(frozen=True)
class Cohort:
    """How many enrolments of each status, once enrolment has opened."""

    confirmed: int = 0
    waitlisted: int = 0
    nominated: int = 0
    applied: int = 0


@dataclass(frozen=True)
class OfferingSpec:
    course: str
    starts_in: int  # days from the load date
    capacity: int
    site: str = ""  # a key of SITES; empty for remote runs
    host_zone: str = ""  # remote runs: the zone they are taught from
    language: str = "en"
    interpretation: str = ""
    status: OfferingStatus = OfferingStatus.PUBLISHED
    quotas: tuple[tuple[str, int], ...] = ()
    partners: tuple[tuple[str, P], ...] = ()
    instructors: tuple[str, ...] = ()  # e-mail local parts, "instructor." omitted
    cohort: Cohort = Cohort()
    women_only: bool = False
    sessions: SessionPlan | None = None
    # Weekly classes placed around New York's next daylight-saving change, so the
    # series shows a class keeping its local time while its UTC time moves.
    around_dst_change: bool = False
    # An online briefing the day after loading, so reminders can be seen at once.
    briefing: bool = False
    # TPP runs nominate and select; the open first-aid course shows first come, first served.
    seat_allocation: SeatAllocation = SeatAllocation.NOMINATION


_JAPAN = (("JGSDF", P.TRAINER_PROVIDER), ("GoJ", P.FUNDER))

OFFERINGS = (
    OfferingSpec(
        "TPP-MED-FMAC",
        10,
        12,
        site="nairobi",
        briefing=True,
        quotas=(("KE", 3), ("UG", 2), ("RW", 2)),
        partners=(("IPSTC", P.HOST), *_JAPAN),
        instructors=("suzuki", "otieno"),
        cohort=Cohort(confirmed=12, waitlisted=3),
        sessions=WEEKDAY_MORNINGS,
    ),
    OfferingSpec(
        "TPP-C4-WOC",
        24,
        12,
        site="entebbe",
        partners=(("UNCAP", P.HOST), ("RSCE", P.HOST), ("GoJ", P.FUNDER)),
        instructors=("namukasa", "nakamura"),
        cohort=Cohort(confirmed=12, waitlisted=2),
        women_only=True,
        sessions=WEEKDAY_MORNINGS,
    ),
    OfferingSpec(
        "TPP-MED-TELE-R",
        31,
        16,
        host_zone="Asia/Tokyo",
        partners=(("UN DOS", P.HOST), *_JAPAN),
        instructors=("suzuki",),
        cohort=Cohort(confirmed=9, nominated=3, applied=2),
        # 16:00 in Tokyo is morning in Nairobi and mid-afternoon in Jakarta.
        sessions=SessionPlan((1, 3), time(16), time(18)),
    ),
    OfferingSpec(
        "TPP-ENG-CPM-R",
        0,  # placed by around_dst_change
        20,
        host_zone="America/New_York",
        partners=(("UN DOS", P.HOST), ("CCOPAB", P.PARTICIPANT), *_JAPAN),
        instructors=("rivera", "tanaka"),
        cohort=Cohort(confirmed=10, nominated=4),
        # 07:00 in New York is afternoon in Africa and evening in Southeast Asia.
        sessions=SessionPlan((1,), time(7), time(9)),
        around_dst_change=True,
    ),
    OfferingSpec(
        "TPP-ENG-HEE-B",
        45,
        20,
        site="nairobi",
        quotas=(("KE", 3), ("UG", 3), ("RW", 2), ("GH", 2)),
        partners=(
            ("IPSTC", P.HOST),
            ("KDF", P.TRAINER_PROVIDER),
            ("MOD Japan", P.TRAINER_PROVIDER),
            ("GoJ", P.FUNDER),
            ("AU", P.PARTICIPANT),
        ),
        instructors=("tanaka", "otieno"),
        cohort=Cohort(confirmed=6, nominated=5, applied=3),
    ),
    OfferingSpec(
        "TPP-MED-FMAC-T",
        52,
        10,
        site="nairobi",
        language="fr",
        partners=(("IPSTC", P.HOST), *_JAPAN),
        instructors=("benali", "suzuki"),
        cohort=Cohort(confirmed=3, nominated=2),
    ),
    OfferingSpec(
        "TPP-MED-BFA",
        58,
        20,
        site="hanoi",
        quotas=(("VN", 4), ("KH", 2)),
        partners=(("VNDPKO", P.HOST), *_JAPAN),
        instructors=("suzuki",),
        cohort=Cohort(confirmed=4),
        seat_allocation=SeatAllocation.FIRST_COME,
    ),
    OfferingSpec(
        "TPP-ENG-HEE-I",
        75,
        16,
        site="jakarta",
        quotas=(("ID", 3), ("VN", 2), ("KH", 2), ("TH", 2)),
        partners=(("PMPP TNI", P.HOST), ("MOD Japan", P.TRAINER_PROVIDER), ("GoJ", P.FUNDER)),
        instructors=("tanaka",),
    ),
    OfferingSpec(
        "TPP-ENG-HEE-M",
        100,
        12,
        site="hanoi",
        quotas=(("VN", 3), ("KH", 2), ("TH", 2)),
        partners=(("VNDPKO", P.HOST), *_JAPAN),
        instructors=("tanaka",),
    ),
    OfferingSpec(
        "TPP-ENG-ENV-R",
        120,
        20,
        host_zone="Asia/Tokyo",
        interpretation="fr",
        partners=(("UN DOS", P.HOST), *_JAPAN),
        instructors=("nakamura",),
    ),
    OfferingSpec(
        "TPP-ENG-HEE-T",
        130,
        10,
        site="rabat",
        language="fr",
        quotas=(("MA", 3), ("RW", 2)),
        partners=(("FAR", P.HOST), ("KDF", P.TRAINER_PROVIDER), *_JAPAN),
        instructors=("benali", "otieno"),
    ),
    OfferingSpec(
        "TPP-C4-SIG",
        150,
        16,
        site="entebbe",
        partners=(("UNCAP", P.HOST), *_JAPAN),
        instructors=("nakamura", "namukasa"),
    ),
    OfferingSpec(
        "TPP-ENG-PSI-R",
        180,
        20,
        host_zone="America/New_York",
        status=OfferingStatus.CANCELLED,
        partners=(("UN DOS", P.HOST), ("GoJ", P.FUNDER)),
        instructors=("rivera",),
    ),
    OfferingSpec(
        "TPP-C4-CST",
        200,
        14,
        site="entebbe",
        status=OfferingStatus.DRAFT,
        partners=(("UNCAP", P.HOST), ("RSCE", P.HOST), *_JAPAN),
        instructors=("namukasa",),
    ),
    OfferingSpec(
        "TPP-C4-UAS",
        240,
        10,
        site="entebbe",
        partners=(("UNCAP", P.HOST), *_JAPAN),
        instructors=("nakamura",),
    ),
    OfferingSpec(
        "TPP-ENG-EPM",
        270,
        16,
        site="jakarta",
        quotas=(("ID", 2), ("TH", 2), ("BR", 2)),
        partners=(("PMPP TNI", P.HOST), *_JAPAN),
        instructors=("tanaka", "rivera"),
    ),
)
