chargecategory = 'Usage'
    AND (chargeclass IS NULL OR chargeclass <> 'Correction')