"""loan products editable: form versions, required materials, fee rules; the standard products

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The standard products as they stood when this revision was written (later edits are new form versions made by
# managers, not changes to this list).
STANDARD = [{'code': 'house_mortgage',
  'name': '房抵贷',
  'required_materials': ['id_card', 'property_deed', 'credit_report', 'bank_statement'],
  'fee': {'kind': 'rate', 'rate_bp': 150, 'min_fen': 300000},
  'form_fields': [{'key': 'property_city', 'label': '房产所在城市', 'type': 'text', 'required': True, 'max_length': 32},
                  {'key': 'property_type',
                   'label': '房产类型',
                   'type': 'choice',
                   'required': True,
                   'options': [{'value': 'residential', 'label': '住宅'},
                               {'value': 'apartment', 'label': '公寓'},
                               {'value': 'shop', 'label': '商铺'},
                               {'value': 'office', 'label': '写字楼'},
                               {'value': 'villa', 'label': '别墅'}]},
                  {'key': 'property_area',
                   'label': '建筑面积',
                   'type': 'number',
                   'required': True,
                   'min': 10,
                   'max': 5000,
                   'unit': '㎡'},
                  {'key': 'property_value',
                   'label': '房产估值',
                   'type': 'money',
                   'required': True,
                   'min': 100000,
                   'max': 500000000,
                   'unit': '元'},
                  {'key': 'mortgage_status',
                   'label': '抵押状态',
                   'type': 'choice',
                   'required': True,
                   'options': [{'value': 'none', 'label': '无抵押（全款房）'},
                               {'value': 'first', 'label': '有一押（按揭中）'},
                               {'value': 'second', 'label': '已有二押'}]},
                  {'key': 'remaining_mortgage',
                   'label': '剩余按揭本金',
                   'type': 'money',
                   'required': False,
                   'min': 0,
                   'max': 500000000,
                   'unit': '元'},
                  {'key': 'ownership',
                   'label': '产权归属',
                   'type': 'choice',
                   'required': False,
                   'options': [{'value': 'sole', 'label': '本人单独所有'},
                               {'value': 'joint', 'label': '与配偶共有'},
                               {'value': 'other', 'label': '与他人共有'}]},
                  {'key': 'property_age_years',
                   'label': '房龄',
                   'type': 'integer',
                   'required': False,
                   'min': 0,
                   'max': 70,
                   'unit': '年'}]},
 {'code': 'credit',
  'name': '信用贷',
  'required_materials': ['credit_report', 'id_card'],
  'fee': {'kind': 'rate', 'rate_bp': 300, 'min_fen': 100000},
  'form_fields': [{'key': 'employer_type',
                   'label': '单位性质',
                   'type': 'choice',
                   'required': True,
                   'options': [{'value': 'civil_servant', 'label': '公务员/事业单位'},
                               {'value': 'state_owned', 'label': '国企/央企'},
                               {'value': 'listed', 'label': '上市公司/500强'},
                               {'value': 'private', 'label': '民营企业'},
                               {'value': 'self_employed', 'label': '个体/自由职业'}]},
                  {'key': 'monthly_salary',
                   'label': '税后月收入',
                   'type': 'money',
                   'required': True,
                   'min': 0,
                   'max': 10000000,
                   'unit': '元'},
                  {'key': 'salary_by_bank', 'label': '工资银行代发', 'type': 'bool', 'required': False},
                  {'key': 'social_security_months',
                   'label': '社保连续缴纳月数',
                   'type': 'integer',
                   'required': True,
                   'min': 0,
                   'max': 600,
                   'unit': '月'},
                  {'key': 'provident_fund_months',
                   'label': '公积金连续缴纳月数',
                   'type': 'integer',
                   'required': False,
                   'min': 0,
                   'max': 600,
                   'unit': '月'},
                  {'key': 'credit_overdue',
                   'label': '近两年逾期情况',
                   'type': 'choice',
                   'required': False,
                   'options': [{'value': 'none', 'label': '无逾期'},
                               {'value': 'minor', 'label': '偶有逾期（未连三累六）'},
                               {'value': 'serious', 'label': '连三累六'}]},
                  {'key': 'existing_debt',
                   'label': '现有负债',
                   'type': 'money',
                   'required': False,
                   'min': 0,
                   'max': 100000000,
                   'unit': '元'}]},
 {'code': 'car_mortgage',
  'name': '车抵贷',
  'required_materials': ['id_card', 'vehicle_license', 'driving_license', 'credit_report'],
  'fee': {'kind': 'rate', 'rate_bp': 300, 'min_fen': 100000},
  'form_fields': [{'key': 'car_brand', 'label': '品牌车型', 'type': 'text', 'required': True, 'max_length': 64},
                  {'key': 'car_price',
                   'label': '购车价格',
                   'type': 'money',
                   'required': True,
                   'min': 10000,
                   'max': 20000000,
                   'unit': '元'},
                  {'key': 'car_year',
                   'label': '上牌年份',
                   'type': 'integer',
                   'required': True,
                   'min': 1995,
                   'max': 2100},
                  {'key': 'plate_city', 'label': '车牌所在城市', 'type': 'text', 'required': True, 'max_length': 32},
                  {'key': 'mileage_km',
                   'label': '行驶里程',
                   'type': 'integer',
                   'required': False,
                   'min': 0,
                   'max': 2000000,
                   'unit': '公里'},
                  {'key': 'car_loan_status',
                   'label': '车贷状态',
                   'type': 'choice',
                   'required': True,
                   'options': [{'value': 'paid_off', 'label': '全款/已结清'}, {'value': 'repaying', 'label': '按揭中'}]},
                  {'key': 'keep_driving', 'label': '押证不押车', 'type': 'bool', 'required': False}]},
 {'code': 'business',
  'name': '经营贷',
  'required_materials': ['id_card', 'business_license', 'bank_statement', 'credit_report'],
  'fee': {'kind': 'rate', 'rate_bp': 200, 'min_fen': 200000},
  'form_fields': [{'key': 'company_name', 'label': '企业名称', 'type': 'text', 'required': True, 'max_length': 100},
                  {'key': 'role_in_company',
                   'label': '企业中的身份',
                   'type': 'choice',
                   'required': True,
                   'options': [{'value': 'legal_rep', 'label': '法人'},
                               {'value': 'shareholder', 'label': '股东'},
                               {'value': 'sole_trader', 'label': '个体工商户主'}]},
                  {'key': 'business_years',
                   'label': '经营年限',
                   'type': 'number',
                   'required': True,
                   'min': 0,
                   'max': 100,
                   'unit': '年'},
                  {'key': 'annual_revenue',
                   'label': '年营业额',
                   'type': 'money',
                   'required': True,
                   'min': 0,
                   'max': 10000000000,
                   'unit': '元'},
                  {'key': 'industry', 'label': '所属行业', 'type': 'text', 'required': False, 'max_length': 32},
                  {'key': 'has_tax_record', 'label': '有纳税记录', 'type': 'bool', 'required': False},
                  {'key': 'license_date', 'label': '营业执照注册日期', 'type': 'date', 'required': False}]},
 {'code': 'provident_fund',
  'name': '公积金贷',
  'required_materials': ['id_card', 'social_security', 'credit_report'],
  'fee': {'kind': 'fixed', 'fixed_fen': 150000, 'min_fen': 0},
  'form_fields': [{'key': 'fund_city', 'label': '公积金缴存城市', 'type': 'text', 'required': True, 'max_length': 32},
                  {'key': 'fund_monthly',
                   'label': '公积金月缴存额',
                   'type': 'money',
                   'required': True,
                   'min': 1,
                   'max': 100000,
                   'unit': '元'},
                  {'key': 'fund_months',
                   'label': '连续缴存月数',
                   'type': 'integer',
                   'required': True,
                   'min': 0,
                   'max': 600,
                   'unit': '月'},
                  {'key': 'fund_base',
                   'label': '缴存基数',
                   'type': 'money',
                   'required': False,
                   'min': 0,
                   'max': 1000000,
                   'unit': '元'},
                  {'key': 'employer', 'label': '工作单位', 'type': 'text', 'required': False, 'max_length': 100}]}]


def upgrade() -> None:
    with op.batch_alter_table('loan_product') as batch:
        batch.add_column(sa.Column('required_materials', JSON, server_default='[]', nullable=False))
        batch.add_column(sa.Column('form_version', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('fee_kind', sa.Enum('rate', 'fixed', name='feekind', native_enum=False, length=20),
                                    server_default='rate', nullable=False))
        batch.add_column(sa.Column('fee_rate_bp', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fee_fixed_fen', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('fee_min_fen', sa.BigInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
    form = op.create_table(
        'loan_product_form',
        sa.Column('id', ID, nullable=False),
        sa.Column('product_id', ID, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('fields', JSON, nullable=False),
        sa.Column('required_materials', JSON, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', ID, nullable=True),
        sa.ForeignKeyConstraint(['product_id'], ['loan_product.id'],
                                name=op.f('fk_loan_product_form_product_id_loan_product')),
        sa.ForeignKeyConstraint(['created_by_id'], ['employee.id'],
                                name=op.f('fk_loan_product_form_created_by_id_employee')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_loan_product_form')),
        sa.UniqueConstraint('product_id', 'version', name=op.f('uq_loan_product_form_product_id_version')),
    )
    op.create_index(op.f('ix_loan_product_form_product_id'), 'loan_product_form', ['product_id'], unique=False)
    with op.batch_alter_table('loan_application') as batch:
        batch.add_column(sa.Column('form_id', ID, nullable=True))
        batch.create_foreign_key(op.f('fk_loan_application_form_id_loan_product_form'), 'loan_product_form',
                                 ['form_id'], ['id'])
    with op.batch_alter_table('customer') as batch:
        batch.add_column(sa.Column('product_form_id', ID, nullable=True))
        batch.create_foreign_key(op.f('fk_customer_product_form_id_loan_product_form'), 'loan_product_form',
                                 ['product_form_id'], ['id'])
    with op.batch_alter_table('bo_order') as batch:
        batch.add_column(sa.Column('service_fee_min_fen', sa.BigInteger(), server_default='0', nullable=False))

    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    product = sa.table('loan_product', sa.column('id', ID), sa.column('code', sa.String), sa.column('name', sa.String),
                       sa.column('form_fields', JSON), sa.column('required_materials', JSON),
                       sa.column('form_version', sa.Integer), sa.column('active', sa.Boolean),
                       sa.column('fee_kind', sa.String), sa.column('fee_rate_bp', sa.Integer),
                       sa.column('fee_fixed_fen', sa.BigInteger), sa.column('fee_min_fen', sa.BigInteger),
                       sa.column('updated_at', sa.DateTime(timezone=True)))
    have = dict(conn.execute(sa.select(product.c.code, product.c.id)).all())
    taken_names = set(conn.execute(sa.select(product.c.name)).scalars())
    for spec in STANDARD:
        fee = spec['fee']
        values = {'required_materials': spec['required_materials'], 'fee_kind': fee['kind'],
                  'fee_rate_bp': fee.get('rate_bp'), 'fee_fixed_fen': fee.get('fixed_fen'),
                  'fee_min_fen': fee.get('min_fen', 0), 'updated_at': now}
        if spec['code'] in have:
            # a product the demo made before this revision: same form, now with its materials and fee rule
            conn.execute(product.update().where(product.c.id == have[spec['code']]).values(**values))
        elif spec['name'] not in taken_names:
            conn.execute(product.insert().values(code=spec['code'], name=spec['name'], form_fields=spec['form_fields'],
                                                 form_version=1, active=True, **values))
    # version 1 of every product's form is the form it has now; what was filled with it points there
    for product_id, fields, materials in conn.execute(
            sa.select(product.c.id, product.c.form_fields, product.c.required_materials)).all():
        conn.execute(form.insert().values(product_id=product_id, version=1, fields=fields,
                                          required_materials=materials, created_at=now))
    conn.execute(sa.text(
        'UPDATE loan_application SET form_id = (SELECT f.id FROM loan_product_form f '
        'WHERE f.product_id = loan_application.product_id AND f.version = 1)'))
    conn.execute(sa.text(
        'UPDATE customer SET product_form_id = (SELECT f.id FROM loan_product_form f '
        'WHERE f.product_id = customer.product_id AND f.version = 1) WHERE product_id IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('bo_order') as batch:
        batch.drop_column('service_fee_min_fen')
    with op.batch_alter_table('customer') as batch:
        batch.drop_constraint(op.f('fk_customer_product_form_id_loan_product_form'), type_='foreignkey')
        batch.drop_column('product_form_id')
    with op.batch_alter_table('loan_application') as batch:
        batch.drop_constraint(op.f('fk_loan_application_form_id_loan_product_form'), type_='foreignkey')
        batch.drop_column('form_id')
    op.drop_index(op.f('ix_loan_product_form_product_id'), table_name='loan_product_form')
    op.drop_table('loan_product_form')
    with op.batch_alter_table('loan_product') as batch:
        for column in ('retired_at', 'updated_at', 'fee_min_fen', 'fee_fixed_fen', 'fee_rate_bp', 'fee_kind',
                       'form_version', 'required_materials'):
            batch.drop_column(column)
