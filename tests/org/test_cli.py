from typer.testing import CliRunner

from scrm.org import service as org_service
from scrm.org.cli import app
from scrm.org.models import Role
from tests.factories.org import new_center, new_department, new_employee

runner = CliRunner()


def test_add_prompts_for_password_and_list_masks_mobile(db):
    department = new_department(db, new_center(db), name="营销一部")
    db.commit()
    result = runner.invoke(app, ["add", "--username", "zhangsan", "--name", "张三", "--role", "supervisor",
                                 "--department", "营销一部", "--mobile", "13800138000"],
                           input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret-pass" not in result.output
    assert "scope department" in result.output
    employee = org_service.authenticate(db, "zhangsan", "s3cret-pass")
    assert (employee.role, employee.department_id) == (Role.supervisor, department.id)
    listing = runner.invoke(app, ["list"])
    assert listing.exit_code == 0
    assert "138****8000" in listing.output and "13800138000" not in listing.output
    assert "营销一部" in listing.output


def test_errors_name_the_option(db):
    new_employee(db, username="taken", password="s3cret-pass")
    db.commit()
    duplicate = runner.invoke(app, ["add", "--username", "taken", "--name", "x", "--password", "s3cret-pass"])
    assert duplicate.exit_code == 2
    assert "--username" in duplicate.output and "taken" in duplicate.output
    weak = runner.invoke(app, ["add", "--username", "newone", "--name", "x", "--password", "short"])
    assert weak.exit_code == 2 and "--password" in weak.output and "at least 8" in weak.output
    no_dept = runner.invoke(app, ["add", "--username", "newone", "--name", "x", "--password", "s3cret-pass",
                                  "--department", "不存在"])
    assert no_dept.exit_code == 2 and "--department" in no_dept.output
    bad_role = runner.invoke(app, ["add", "--username", "newone", "--name", "x", "--password", "s3cret-pass",
                                   "--role", "boss"])
    assert bad_role.exit_code == 2 and "--role" in bad_role.output
    assert org_service.find_by_username(db, "newone") is None


def test_passwd_changes_the_password(db):
    employee = new_employee(db, username="lisi", password="old-pass-1")
    db.commit()
    result = runner.invoke(app, ["passwd", "--username", "lisi"], input="n3w-pass-2\nn3w-pass-2\n")
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert org_service.authenticate(db, "lisi", "n3w-pass-2").id == employee.id
    unknown = runner.invoke(app, ["passwd", "--username", "ghost", "--password", "n3w-pass-2"])
    assert unknown.exit_code == 2 and "--username" in unknown.output


def test_list_hides_departed_unless_all(db):
    gone = new_employee(db, username="gone", password="s3cret-pass")
    org_service.mark_departed(db, gone.id)
    db.commit()
    assert "gone" not in runner.invoke(app, ["list"]).output
    assert "gone" in runner.invoke(app, ["list", "--all"]).output
