/* plugin.c — placeholder for the bpf_conformance plugin (replaced in this
 * change series). */
int main(void)
{
	return 1;
}
