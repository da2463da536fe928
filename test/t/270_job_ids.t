# A job ID from the listing that is not a whole number (1.5, 1e300, a
# string) is an error naming the field, never a job made by a cast (1.5 was
# imported as job 1, 1e300 as -9223372036854775808).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;

sub listing {
	my ($id) = @_;
	my $body = '{"is_success": true, "job_total_count": 1, "jobs": [{"id": "a1", "name": "odd", '
	  . '"create_time": 1565000000000, "dls_prj_id": ' . $id . '}]}';
	return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
	  . length($body) . "\r\n\r\n" . $body;
}

my $db = fdw_db('tap_job_ids');
setup_fdw($db, endpoint => 'http://127.0.0.1:1', max_retries => '0');
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
psql_ok($db, "CREATE FOREIGN TABLE projects (data_annotation_id bigint, project_name text) SERVER ma OPTIONS (resource 'projects')");
psql_ok($db, "CREATE SCHEMA s");

for my $id ('1.5', '1e300', '-3', '"282"') {
	my $srv = capture_start(listing($id));
	psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint 'http://127.0.0.1:$srv->{port}')");
	my $err = psql_fails($db, "SELECT * FROM projects");
	like($err, qr/no "dls_prj_id" that is a job ID/, "dls_prj_id $id: the projects listing fails naming the field");
	$err = psql_fails($db, "IMPORT FOREIGN SCHEMA jobs FROM SERVER ma INTO s");
	like($err, qr/no "dls_prj_id" that is a job ID/, "dls_prj_id $id: IMPORT FOREIGN SCHEMA fails naming the field");
	is(psql_ok($db, "SELECT count(*) FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 's'"),
		'0', "dls_prj_id $id: no table imported");
	capture_stop($srv);
}

# a whole number in floating-point form is a job ID
my $srv = capture_start(listing('282.0'));
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint 'http://127.0.0.1:$srv->{port}')");
is(psql_ok($db, "SELECT data_annotation_id || ' ' || project_name FROM projects"), '282 odd',
	'dls_prj_id 282.0: job 282');
capture_stop($srv);

drop_db($db);
done_testing();
