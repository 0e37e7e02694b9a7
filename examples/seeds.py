"""The seed documents' tables, typed as the documents print them (../shared/seeds).

000 Fredensborg, "Status pr. 30.11" 2015, mio. kr.; 002 Herning, "Forventet økonomisk
effekt (1000 kr.)" 2020-2024; 003 Ballerup, til- og afgang på interne dagtilbud 2016
through Q3. The example workbooks (build.py) and the tests (tests/book.py) both use these.
"""

HANDLEPLAN_TOTAL = ("Total", 25, 16.7, 17.6)
HANDLEPLAN_LINES = (  # Område, Mål, Realiseret 30.11 2015, Forventet 2015
    ("Støtte eget hjem", 6, 3.6, 3.6),
    ("Dagtilbud", 5, 0.8, 1.1),
    ("BPA", 0.8, 0.2, 0.5),
    ("Botilbud", 5, 4.5, 4.7),
    ("Alkohol/stof", 2.2, 2.2, 2.2),
    ("Træning børn", 0.6, 0.6, 0.6),
    ("Institutioner *", 4.5, 4.5, 4.5),
    ("STU", 0.5, 0.3, 0.4),
    ("Merudgifter", 0.1, 0, 0),
    ("Ledsageordning", 0.3, 0, 0),
)

EFFEKT_YEARS = (2020, 2021, 2022, 2023, 2024)
EFFEKT_TOTAL = ("Alle", None, -2500, -5950, -8750, -11550, -15850)
EFFEKT_LINES = (  # Spor, Tiltag, one figure per year
    ("1", "Flere tilbud i Herning Kommune til herningborgere - kapacitetsplan", -250, -1600, -2350, -3100, -3850),
    ("2", "Etablering af nye og alternative løsninger", -250, -1250, -1750, -2250, -2750),
    ("3", "Visitationen – nye tilgange", -1500, -2000, -2500, -3000, -3000),
    ("4 a", "Tidligere kendskab til borgerne (overgang fra ung til voksen)", 0, -100, -150, -200, -250),
    ("4 b", "Livsfaser (ældreområdet)", -500, -1000, -2000, -3000, -6000),
)

TILGANG_LINES = (  # Tilbud, primo 1/1 2016, (tilgang, afgang) K1..K3, ultimo 30/9 2016
    ("Krumtappen", 18, 0, 0, 1, 0, 3, 0, 22),
    ("Bibliotekscaféen", 13, 0, 0, 1, 0, 0, 1, 13),
    ("Larsbjerggård", 9, 0, 1, 0, 0, 0, 0, 8),
    ("Det Nye Sted", 50, 0, 0, 3, 2, 3, 0, 54),
)

# 003 Ballerup, "Bruttobesparelse jf. tidligere og nuværende strategi": the corner says
# 'i 1.000 kr.', but the seed's text gives the same figures as 2,4 and 12,2 mio. kr.: they
# are millions (WORKBOOKS.md §7), and the example says so.
BRUTTO_YEARS = (2014, 2015, 2016, 2017)
BRUTTO_LINES = (  # follow-up, the estimate for each year
    ("3. opfølgning 2015", 2.4, 7.3, 12.2, 12.2),
    ("1. opfølgning 2016", 2.4, 7.3, 12.5, 13.6),
    ("2. opfølgning 2016", 2.4, 7.3, 12.5, 13.6),
    ("3. opfølgning 2016", 2.4, 7.3, 13.6, 16.0),
)

# 004 Høje-Taastrup, "Effekt af den faglige omstilling i mio. kr.", as of Q3 2016: budget
# year, original and adjusted expectations, realised for original and new citizens, total.
# None is an empty cell; the words are as the seed prints them.
EFFEKT_REALISERET_LINES = (
    (2014, 1.5, None, 0.15, "Ej opgjort", "Ej opgjort"),
    (2015, 4.5, None, 1.7, "Ej opgjort", "Ej opgjort"),
    (2016, 7.3, 5.8, "3,8 pr 3. kvartal 2016", "1,4 pr 3. kvartal 2016", "5,2 pr 3.kvartal 2016"),
    (2017, 9.2, 12.1, None, None, None),
    (2018, 10.3, 13.2, None, None, None),
    (2019, None, 13.2, None, None, None),
    (2020, None, 13.2, None, None, None),
)
