#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/rmbm.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 85b99d94aa01718e1ce830cd86c2d2ff.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# rmbm.pl: portal page helper.
print "<html><body></body></html>\n";
