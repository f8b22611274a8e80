import { test, expect } from '@playwright/test';

test('the app opens with its title', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'FGMP Explorer' })).toBeVisible();
});
