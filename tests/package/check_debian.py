"""debian/ keeps up with the build it packages.

- debian/changelog's version is meson.build's project version;
- every library meson found (meson-info/intro-dependencies.json of the
  build folder) comes from a package listed in Build-Depends;
- every library the sources open by name (a versioned "libX.so.N" literal:
  dlopen, which dpkg-shlibdeps cannot see) comes from a package listed in
  Depends or Recommends;
- debian/rules runs only the unit suite at build time.

Package names come from this machine's dpkg database (dpkg -S), so the
check needs a Debian system with the build dependencies installed, as
scripts/setup.sh leaves it; elsewhere it is skipped (exit 77), saying why.

usage: check_debian.py SOURCE_ROOT BUILD_ROOT
"""
import json
import pathlib
import re
import shutil
import subprocess
import sys
import unittest

SKIP = 77
SOURCE = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
BUILD = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "build")


def control_fields():
    """debian/control as a list of {field: value} paragraphs, comments out."""
    paragraphs, current, field = [], {}, None
    for line in (SOURCE / "debian" / "control").read_text().splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                paragraphs.append(current)
            current, field = {}, None
        elif line[0] in " \t":
            current[field] += " " + line.strip()
        else:
            field, _, value = line.partition(":")
            current[field] = value.strip()
    if current:
        paragraphs.append(current)
    return paragraphs


def names(relation_field):
    """'a (>= 1), b | c, ${x}' -> {'a', 'b', 'c'}"""
    out = set()
    for alt in re.split(r"[,|]", relation_field):
        alt = alt.strip()
        if alt and not alt.startswith("${"):
            out.add(re.split(r"[\s(\[:]", alt, maxsplit=1)[0])
    return out


def package_of(path):
    """The Debian package that ships path ('' if none), trying the /usr and
    the merged-/usr spelling of the same file."""
    tries = [path]
    if path.startswith("/usr/"):
        tries.append(path[len("/usr"):])
    else:
        tries.append("/usr" + path)
    for p in tries:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return ""


class Debian(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        paragraphs = control_fields()
        cls.source = paragraphs[0]
        cls.binary = next(p for p in paragraphs if p.get("Package") == "webtrace")

    def test_changelog_version_is_the_project_version(self):
        meson = (SOURCE / "meson.build").read_text()
        project = re.search(r"^\s*version\s*:\s*'([^']+)'", meson, re.M).group(1)
        first = (SOURCE / "debian" / "changelog").read_text().splitlines()[0]
        changelog = re.match(r"webtrace \(([^)]+)\)", first).group(1)
        # A native package: no Debian revision, the versions are the same.
        self.assertEqual(changelog, project,
                         "debian/changelog and meson.build name different versions")

    def test_every_library_meson_finds_is_a_build_dependency(self):
        intro = BUILD / "meson-info" / "intro-dependencies.json"
        deps = json.loads(intro.read_text())
        self.assertGreater(len(deps), 5, "meson found almost no dependencies?")
        build_depends = names(self.source["Build-Depends"])
        # A generic name (libpcap-dev) depends on the real one (libpcap0.8-dev).
        for package in list(build_depends):
            r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", package],
                               capture_output=True, text=True)
            build_depends |= names(r.stdout) if r.returncode == 0 else set()
        for dep in deps:
            name = dep["name"]
            with self.subTest(dependency=name):
                r = subprocess.run(["pkg-config", "--variable=pcfiledir", name],
                                   capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, f"pkg-config does not know {name}")
                pc = f"{r.stdout.strip()}/{name}.pc"
                package = package_of(pc)
                self.assertTrue(package, f"no Debian package ships {pc}")
                self.assertIn(package, build_depends,
                              f"meson's dependency('{name}') comes from {package}, "
                              "which debian/control's Build-Depends does not list")

    def test_every_library_loaded_by_name_is_a_runtime_dependency(self):
        sonames = set()
        for c in sorted((SOURCE / "src").rglob("*.c")):
            sonames.update(re.findall(r'"(lib[A-Za-z0-9_+-]+\.so\.[0-9][0-9.]*)"', c.read_text()))
        self.assertIn("libz.so.1", sonames, "the soname scan finds nothing?")
        ldconfig = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True,
                                  text=True).stdout
        runtime = names(self.binary["Depends"]) | names(self.binary.get("Recommends", ""))
        for soname in sorted(sonames):
            with self.subTest(soname=soname):
                m = re.search(rf"^\s*{re.escape(soname)} \([^)]*\) => (\S+)$", ldconfig, re.M)
                if not m:
                    # One of several spellings tried in turn (libpcap.so.1
                    # after libpcap.so.0.8): the installed one is checked.
                    continue
                package = package_of(m.group(1))
                self.assertTrue(package, f"no Debian package ships {m.group(1)}")
                self.assertIn(package, runtime,
                              f"the sources open {soname} by name; its package {package} "
                              "must be in debian/control's Depends or Recommends "
                              "(dpkg-shlibdeps cannot see dlopen)")

    def test_build_runs_only_the_unit_suite(self):
        rules = (SOURCE / "debian" / "rules").read_text()
        self.assertRegex(rules, r"override_dh_auto_test:\n\tdh_auto_test -- --suite unit\n")


def main():
    for tool in ("dpkg", "pkg-config"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} not found: the debian/ check needs a Debian system")
            return SKIP
    if not (BUILD / "meson-info" / "intro-dependencies.json").is_file():
        print(f"SKIP: {BUILD} is not a meson build folder")
        return SKIP
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
