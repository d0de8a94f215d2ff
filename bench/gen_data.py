#!/usr/bin/env python3
"""Writes the CSV files of the benchmark store (bench/generate.sh runs it).

    gen_data.py OUTDIR SCALE PASSWORD_HASH TODAY

Everything is deterministic for a given SCALE and TODAY (YYYY-MM-DD, UTC), so two runs give the
same files. At SCALE 1.0:

  users        1,000,000 in 1,000 organizations. Organization 1 (MPN ID 1000001) is the largest,
               200,000 users; organization 2 has 2,000; the other 998 share the rest (~800 each).
               User n has the email u<n>@o<org>.example.com; the first user of each organization
               is its Global Admin (enrolled with `org enroll`), the rest come from `user import`.
  profiles     1,000,000: MCID 10000000+n belongs to user n. Users with n % 10 != 0 are linked
               (900,000 links).
  credentials  5,000,000: five distinct codes per profile; certifications expire 365 days after
               they were passed (so some are expired); 2 % of profiles have one credential passed
               two days ago (n % 50 == 1, all linked), still pending under the reflection delay.
  PU accounts  500,000: account k belongs to user 2k-1; accounts with k % 5 != 0 are associated
               (400,000), each with two assessments (1,000,000 rows).

Files: orgs.tsv (org, mpn_id, admin email, admin name, first n, last n), users/<org>.csv (the
`user import` file of that organization, without its admin), profiles.csv, credentials.csv,
university-accounts.csv, assessments.csv, purge-targets.csv (100,000 emails of organization 1,
shuffled), layout.env (the numbers above, for the shell scripts).
"""
import datetime
import os
import random
import sys

CERT_CODES = [
    ("AZ-104", "Microsoft Certified: Azure Administrator Associate"),
    ("AZ-204", "Microsoft Certified: Azure Developer Associate"),
    ("AZ-305", "Microsoft Certified: Azure Solutions Architect Expert"),
    ("AZ-400", "Microsoft Certified: DevOps Engineer Expert"),
    ("AZ-500", "Microsoft Certified: Azure Security Engineer Associate"),
    ("AZ-700", "Microsoft Certified: Azure Network Engineer Associate"),
    ("AZ-800", "Microsoft Certified: Windows Server Hybrid Administrator Associate"),
    ("AZ-140", "Microsoft Certified: Azure Virtual Desktop Specialty"),
    ("AI-102", "Microsoft Certified: Azure AI Engineer Associate"),
    ("DP-203", "Microsoft Certified: Azure Data Engineer Associate"),
    ("DP-300", "Microsoft Certified: Azure Database Administrator Associate"),
    ("DP-100", "Microsoft Certified: Azure Data Scientist Associate"),
    ("MS-102", "Microsoft 365 Certified: Administrator Expert"),
    ("MS-700", "Microsoft 365 Certified: Teams Administrator Associate"),
    ("MD-102", "Microsoft 365 Certified: Endpoint Administrator Associate"),
    ("SC-200", "Microsoft Certified: Security Operations Analyst Associate"),
    ("SC-300", "Microsoft Certified: Identity and Access Administrator Associate"),
    ("SC-400", "Microsoft Certified: Information Protection and Compliance Administrator Associate"),
    ("PL-300", "Microsoft Certified: Power BI Data Analyst Associate"),
    ("PL-400", "Microsoft Certified: Power Platform Developer Associate"),
]
EXAM_CODES = [
    ("AZ-900", "Exam AZ-900: Microsoft Azure Fundamentals"),
    ("AI-900", "Exam AI-900: Microsoft Azure AI Fundamentals"),
    ("DP-900", "Exam DP-900: Microsoft Azure Data Fundamentals"),
    ("MS-900", "Exam MS-900: Microsoft 365 Fundamentals"),
    ("SC-900", "Exam SC-900: Security, Compliance, and Identity Fundamentals"),
    ("PL-900", "Exam PL-900: Microsoft Power Platform Fundamentals"),
    ("MB-210", "Exam MB-210: Microsoft Dynamics 365 Sales Functional Consultant"),
    ("MB-220", "Exam MB-220: Microsoft Dynamics 365 Customer Insights - Journeys"),
    ("MB-230", "Exam MB-230: Microsoft Dynamics 365 Customer Service Functional Consultant"),
    ("MB-240", "Exam MB-240: Microsoft Dynamics 365 Field Service Functional Consultant"),
    ("MB-300", "Exam MB-300: Microsoft Dynamics 365: Core Finance and Operations"),
    ("MB-310", "Exam MB-310: Microsoft Dynamics 365 Finance Functional Consultant"),
    ("MB-330", "Exam MB-330: Microsoft Dynamics 365 Supply Chain Management"),
    ("MB-500", "Exam MB-500: Microsoft Dynamics 365: Finance and Operations Apps Developer"),
    ("MB-700", "Exam MB-700: Microsoft Dynamics 365: Finance and Operations Apps Solution Architect"),
    ("MB-800", "Exam MB-800: Microsoft Dynamics 365 Business Central Functional Consultant"),
    ("MB-910", "Exam MB-910: Microsoft Dynamics 365 Fundamentals (CRM)"),
    ("MB-920", "Exam MB-920: Microsoft Dynamics 365 Fundamentals (ERP)"),
    ("PL-100", "Exam PL-100: Microsoft Power Platform App Maker"),
    ("PL-200", "Exam PL-200: Microsoft Power Platform Functional Consultant"),
]
CODES = [(c, t, "certification") for c, t in CERT_CODES] + [(c, t, "exam") for c, t in EXAM_CODES]
ASSESSMENTS = [
    ("Azure Infrastructure technical assessment", "PU-AZ-INFRA"),
    ("Data & AI technical assessment", "PU-DATA-AI"),
    ("Security, Compliance and Identity technical assessment", "PU-SEC"),
    ("Modern Work technical assessment", "PU-MW"),
    ("Business Applications sales assessment", "PU-BIZAPPS"),
    ("Digital & App Innovation technical assessment", "PU-APPS"),
    ("Partner onboarding course", ""),
]
FIRST = ["Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
         "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yara"]
LAST = ["Martin", "Berg", "Smith", "Jones", "Nguyen", "Garcia", "Müller", "Rossi", "Kowalski", "Tanaka",
        "Silva", "Dubois", "Johansson", "Novak", "Ivanova", "Haddad", "Okafor", "Kim", "Patel", "Cohen"]


def person_name(n):
    # A few hostile or non-ASCII names, so the CSV writer's quoting and formula guard are exercised.
    if n % 997 == 0:
        return f"Smith, John {n}"
    if n % 1009 == 0:
        return '=HYPERLINK("http://example.com/x")'
    if n % 1013 == 0:
        return "Åsa Öberg"
    if n % 1019 == 0:
        return "李雷"
    if n % 1021 == 0:
        return f'Conan "The Admin" O\'Brien {n}'
    return f"{FIRST[n % 20]} {LAST[(n // 20) % 20]} {n}"


def csv_field(text):
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def main():
    outdir, scale, pw_hash, today_text = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    # An Argon2 hash has commas ($argon2id$v=19$m=65536,t=2,p=1$...): it must be quoted, or the
    # importer sees extra fields (a bad row since 0.3.0; 0.2.0 silently kept only "m=65536").
    pw_hash = csv_field(pw_hash)
    today = datetime.date.fromisoformat(today_text)
    n_users = max(100, round(1_000_000 * scale))
    n_orgs = max(3, round(1000 * scale))
    largest = max(10, round(200_000 * scale))
    second = max(5, round(2000 * scale))
    n_pu = n_users // 2
    n_targets = min(largest - 1, max(10, round(100_000 * scale)))

    # Organization sizes: 1 is the largest, 2 the small one, the rest share what is left.
    rest = n_users - largest - second
    others = n_orgs - 2
    sizes = [largest, second] + [rest // others + (1 if i < rest % others else 0) for i in range(others)]
    assert sum(sizes) == n_users and min(sizes) >= 2, sizes

    os.makedirs(os.path.join(outdir, "users"), exist_ok=True)
    day = datetime.timedelta(days=1)

    def link_day(n):  # the day user n linked (and associated): 30 to 329 days ago
        return today - (30 + n % 300) * day

    org_of = []
    with open(os.path.join(outdir, "orgs.tsv"), "w") as orgs:
        n = 1
        for j, size in enumerate(sizes, start=1):
            first, last = n, n + size - 1
            orgs.write(f"{j}\t{1000000 + j}\tu{first}@o{j}.example.com\t{person_name(first)}\t{first}\t{last}\n")
            with open(os.path.join(outdir, "users", f"{j}.csv"), "w", newline="") as f:
                out = ["email,name,role\r\n"]
                for m in range(first + 1, last + 1):
                    role = "partner-admin" if m % 5000 == 2 else "user"
                    out.append(f"u{m}@o{j}.example.com,{csv_field(person_name(m))},{role}\r\n")
                f.write("".join(out))
            org_of.append((first, last, j))
            n = last + 1

    with open(os.path.join(outdir, "profiles.csv"), "w", newline="") as f:
        f.write("mcid,login,name,password_hash\r\n")
        buf = []
        for n in range(1, n_users + 1):
            buf.append(f"{10000000 + n},p{n}@learn.example.org,{csv_field(person_name(n))},{pw_hash}\r\n")
            if len(buf) >= 50000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))

    with open(os.path.join(outdir, "credentials.csv"), "w", newline="") as f:
        f.write("mcid,code,title,type,passed_on,expires_on\r\n")
        buf = []
        for n in range(1, n_users + 1):
            linked = link_day(n)
            for i in range(5):
                code, title, kind = CODES[(n + i * 8) % len(CODES)]
                if i == 4 and n % 50 == 1:
                    passed = today - 2 * day  # passed after the link: pending for 10 days
                else:
                    passed = linked - (1 + (n * 31 + i * 97) % 700) * day
                expires = (passed + 365 * day).isoformat() if kind == "certification" else ""
                buf.append(f"{10000000 + n},{code},{csv_field(title)},{kind},{passed.isoformat()},{expires}\r\n")
            if len(buf) >= 100000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))

    with open(os.path.join(outdir, "university-accounts.csv"), "w", newline="") as f, \
            open(os.path.join(outdir, "assessments.csv"), "w", newline="") as g:
        f.write("login,name,password_hash\r\n")
        g.write("login,title,code,passed_on\r\n")
        fb, gb = [], []
        for k in range(1, n_pu + 1):
            n = 2 * k - 1
            login = f"pu{k}@university.example.org"
            fb.append(f"{login},{csv_field(person_name(n))},{pw_hash}\r\n")
            for i in range(2):
                title, code = ASSESSMENTS[(k + i * 3) % len(ASSESSMENTS)]
                passed = link_day(n) - (1 + (k * 13 + i * 41) % 400) * day
                gb.append(f"{login},{csv_field(title)},{code},{passed.isoformat()}\r\n")
            if len(fb) >= 50000:
                f.write("".join(fb))
                g.write("".join(gb))
                fb.clear()
                gb.clear()
        f.write("".join(fb))
        g.write("".join(gb))

    # Purge targets: users 2 .. n_targets+1 of organization 1 (never its admin, user 1), in the
    # random order of an HR export.
    targets = [f"u{n}@o1.example.com" for n in range(2, n_targets + 2)]
    random.Random(42).shuffle(targets)
    with open(os.path.join(outdir, "purge-targets.csv"), "w", newline="") as f:
        f.write("email\r\n" + "".join(t + "\r\n" for t in targets))

    with open(os.path.join(outdir, "layout.env"), "w") as f:
        f.write(f"SCALE={scale}\nTODAY={today_text}\nN_USERS={n_users}\nN_ORGS={n_orgs}\nLARGEST={largest}\n"
                f"SECOND={second}\nN_PROFILES={n_users}\nN_CREDENTIALS={5 * n_users}\nN_PU={n_pu}\n"
                f"N_ASSESSMENTS={2 * n_pu}\nN_TARGETS={n_targets}\n")


if __name__ == "__main__":
    main()
