#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/themes.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 5fcb189ac8c557ab1d956e612dae0a05.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# Lists the portal themes the user may execute a switch to.
my @themes = qw(Default Greenbubble X1 RfWebUI);
print join("\n", @themes), "\n";
